// Types of kubeadm-images.mjs for the fleet's TypeScript side.
export declare function addonImagesOf(minor: number): { coredns: string; pause: string; etcd: string };
