/**
 * The reader of `kubeadm certs check-expiration` (kube/cert-expiry.ts): both tables of the real
 * output (the form kubernetes/kubeadm#2866 and kubernetes.io quote), "!MISSING!" rows, expired
 * ("<invalid>") and every HumanDuration form kubeadm prints for RESIDUAL TIME.
 */
import { describe, expect, it } from 'vitest';
import { parseCheckExpiration, parseKubeadmDate, renewedCount, residualDays, soonest } from '../../../src/kube/cert-expiry.js';
import { readyMirrorPods } from '../../../src/nodes/cert-ops.js';

const REAL = `[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...
[check-expiration] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.

CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
admin.conf                 Aug 19, 2026 09:03 UTC   360d            ca                      no      
apiserver                  Aug 19, 2026 09:03 UTC   360d            ca                      no      
apiserver-etcd-client      Aug 19, 2026 09:03 UTC   <invalid>       etcd-ca                 no      
apiserver-kubelet-client   Aug 19, 2026 09:03 UTC   20h             ca                      yes     
front-proxy-client         Aug 19, 2026 09:03 UTC   3d4h            front-proxy-ca          no      
!MISSING! super-admin.conf                                                                  

CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
ca                      Aug 17, 2035 09:03 UTC   9y              no      
etcd-ca                 Aug 17, 2035 09:03 UTC   3y5d            no      
front-proxy-ca          Aug 17, 2035 09:03 UTC   9y              no      
`;

describe('kubeadm certs check-expiration reader', () => {
  it('reads both tables by the header\'s columns', () => {
    const table = parseCheckExpiration(REAL, 'cp-1');
    expect(table.certificates.map((c) => [c.name, c.daysLeft, c.authority ?? null, c.missing, c.externallyManaged])).toEqual([
      ['admin.conf', 360, 'ca', false, false],
      ['apiserver', 360, 'ca', false, false],
      ['apiserver-etcd-client', -1, 'etcd-ca', false, false],
      ['apiserver-kubelet-client', 0, 'ca', false, true],
      ['front-proxy-client', 3, 'front-proxy-ca', false, false],
      ['super-admin.conf', null, null, true, false].map((v, i) => (i === 1 ? undefined : v)),
    ]);
    expect(table.certificates[0]!.expires).toBe('2026-08-19T09:03:00.000Z');
    expect(table.authorities.map((c) => [c.name, c.daysLeft])).toEqual([['ca', 3285], ['etcd-ca', 1100], ['front-proxy-ca', 3285]]);
    expect(soonest(table)).toMatchObject({ name: 'apiserver-etcd-client', daysLeft: -1 });
  });

  it('refuses an output without the tables, naming the node', () => {
    expect(() => parseCheckExpiration('error execution phase: boom\n', 'cp-2')).toThrow(/check-expiration on cp-2 printed no certificate table/);
  });

  it('reads Go dates and HumanDuration', () => {
    expect(parseKubeadmDate('Mar 05, 2027 07:09 UTC')?.toISOString()).toBe('2027-03-05T07:09:00.000Z');
    expect(parseKubeadmDate('Mar 05, 2027 07:09 +0200')?.toISOString()).toBe('2027-03-05T05:09:00.000Z');
    expect(parseKubeadmDate('tomorrow')).toBeUndefined();
    expect([residualDays('364d'), residualDays('9y'), residualDays('3y5d'), residualDays('7d23h'), residualDays('5h30m'), residualDays('90s'), residualDays('<invalid>'), residualDays('soon')]).toEqual([364, 3285, 1100, 7, 0, 0, -1, undefined]);
  });

  it('counts the "renewed" lines of kubeadm certs renew all', () => {
    expect(renewedCount('[renew] Reading…\n\ncertificate for serving etcd renewed\nMISSING! certificate embedded in the kubeconfig file for the super-admin\ncertificate for the front proxy client renewed\n\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n')).toBe(2);
  });

  it('takes a mirror pod as back when it runs and is Ready', () => {
    const pod = (name: string, phase: string, ready: string) => ({ metadata: { name }, status: { phase, conditions: [{ type: 'Ready', status: ready }] } });
    const text = JSON.stringify({ items: [pod('etcd-cp-1', 'Running', 'True'), pod('kube-apiserver-cp-1', 'Running', 'False'), pod('kube-scheduler-cp-1', 'Pending', 'False')] });
    expect([...readyMirrorPods(text)]).toEqual(['etcd-cp-1']);
    expect(readyMirrorPods('not json').size).toBe(0);
  });
});
