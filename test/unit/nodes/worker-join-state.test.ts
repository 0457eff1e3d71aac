/** The worker join check's probe output (issue #16: one SSH command for pgrep + kubeadm state). */
import { describe, expect, it } from 'vitest';
import { parseKubeadmPids } from '../../../src/nodes/ssh-node-ops.js';
import { parseKubeadmState } from '../../../src/kube/node-ownership.js';

describe('parseKubeadmPids', () => {
  it('reads the pids of the kubeadm_pids= line, as parsePids reads pgrep', () => {
    expect(parseKubeadmPids('kubeadm_pids=\nadmin_conf=no\n')).toEqual([]);
    expect(parseKubeadmPids('kubeadm_pids=123 4567 \nadmin_conf=no\n')).toEqual([123, 4567]);
    // No procps (no line) or anything but pids: none running, the node is judged at once, as before.
    expect(parseKubeadmPids('admin_conf=no\n')).toEqual([]);
    expect(parseKubeadmPids('kubeadm_pids=pgrep: not found\n')).toEqual([]);
  });

  it('the state after it parses as kubeadm-state.sh output', () => {
    const state = parseKubeadmState('kubeadm_pids=\nadmin_conf=no\nkubelet_conf=yes\nmanifests=no\netcd_data=no\nmarker=\nca:\n');
    expect(state).toEqual({ adminConf: false, kubeletConf: true, manifests: false, etcdData: false });
  });
});
