// What kubectl and cilium share: finding the kubeconfig and "connecting" to the fleet's API state.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fail, thisNode } from './context.mjs';
import { settledApi } from './controllers.mjs';
import { readJson } from './lock.mjs';
import { apiRefusal, startRestoredEtcd } from './etcd-restore.mjs';

/** Loads the kubeconfig like client-go does and checks it belongs to the fleet's cluster. */
export function connect(explicitPath, { tool = 'kubectl' } = {}) {
  const path = explicitPath ?? (process.env.KUBECONFIG || undefined) ?? `${homedir()}/.kube/config`;
  const prefix = tool === 'kubectl' ? 'error: ' : 'Error: ';
  if (!existsSync(path)) {
    if (explicitPath || process.env.KUBECONFIG) fail(1, `${prefix}stat ${path}: no such file or directory`);
    fail(1, 'The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  }
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(1, `${prefix}error loading config file "${path}": open ${path}: ${error.code === 'EACCES' ? 'permission denied' : error.message}`);
  }
  const server = /server:\s*https:\/\/(\S+)/.exec(text)?.[1] ?? 'localhost:8080';
  // An etcd whose data dir was restored starts with the snapshot's state (etcd-restore.mjs).
  startRestoredEtcd();
  // The controllers (CCM, provisioners, MetalLB) catch up before the API answers.
  const api = settledApi();
  if (!api.cluster || apiRefusal(api)) fail(1, `The connection to the server ${server} was refused - did you specify the right host or port?`);
  const pki = readJson(`${thisNode().fleetRoot}/shared/cluster-pki.json`, null);
  const caData = /certificate-authority-data:\s*(\S+)/.exec(text)?.[1];
  if (pki && caData && Buffer.from(caData, 'base64').toString('utf8').trim() !== pki.caCert.trim()) {
    fail(1, `Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "kubernetes")`);
  }
  return { api, server, path };
}
