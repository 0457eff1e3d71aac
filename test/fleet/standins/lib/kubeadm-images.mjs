// Per Kubernetes minor, the add-on images kubeadm lists (as `kubeadm config images list` printed
// them for 1.35.x/1.36.x). Shared by the kubeadm stand-in and the fleet's prepared node image.
export const ADDON_IMAGES = {
  35: { coredns: 'v1.13.1', pause: '3.10.1', etcd: '3.6.6-0' },
  36: { coredns: 'v1.14.2', pause: '3.10.2', etcd: '3.6.8-0' },
  37: { coredns: 'v1.14.6', pause: '3.10.2', etcd: '3.7.0-0' },
};

/** The images for a minor number (the newest known for a later one). */
export const addonImagesOf = (minor) => ADDON_IMAGES[minor] ?? ADDON_IMAGES[37];
