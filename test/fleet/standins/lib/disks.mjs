// lsblk, for the disks a fleet node declares (FleetNodeSpec.disks; written to node.json): the
// node's system disk is not listed, only the declared ones. Answers as util-linux 2.39 does:
// `lsblk -J -o NAME,FSTYPE,TYPE /dev/sdb` prints {"blockdevices":[{"name":"sdb","fstype":null,"type":"disk"}]}
// (partitions as "children" of type part with their fstype); an unknown path fails with
// "lsblk: /dev/x: not a block device" and exit 32 (lsblk(8), EXIT STATUS: 32 none of the devices found).
import { fail, thisNode } from './context.mjs';

const COLUMNS = { NAME: 'name', FSTYPE: 'fstype', TYPE: 'type' };

/** The declared disks of a node.json: [{ name, fstype?, partitions?: [{ name, fstype? }] }]. */
export function disksOf(node) {
  return (node?.disks ?? []).map((disk) => (typeof disk === 'string' ? { name: disk } : disk));
}

export async function run(_tool, argv) {
  let json = false;
  let columns = ['NAME', 'MAJ:MIN', 'RM', 'SIZE', 'RO', 'TYPE', 'MOUNTPOINTS'];
  const paths = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-J' || arg === '--json') json = true;
    else if (arg === '-o' || arg === '--output') columns = String(argv[++i] ?? '').split(',').map((c) => c.trim().toUpperCase());
    else if (arg.startsWith('--output=')) columns = arg.slice(9).split(',').map((c) => c.trim().toUpperCase());
    else if (arg.startsWith('-')) fail(1, `lsblk: unrecognized option '${arg}' (not simulated by the fleet)`);
    else paths.push(arg);
  }
  const unknown = columns.find((column) => !COLUMNS[column]);
  if (unknown) fail(1, `fleet: lsblk column ${unknown} is not simulated (NAME, FSTYPE, TYPE are)`);
  const disks = disksOf(thisNode());
  const found = [];
  let stderr = '';
  for (const path of paths.length > 0 ? paths : disks.map((disk) => `/dev/${disk.name}`)) {
    const name = path.replace(/^\/dev\//, '');
    const disk = disks.find((d) => d.name === name);
    const partition = disks.flatMap((d) => d.partitions ?? []).find((p) => p.name === name);
    if (disk) found.push({ name: disk.name, fstype: disk.fstype ?? null, type: 'disk', children: (disk.partitions ?? []).map((p) => ({ name: p.name, fstype: p.fstype ?? null, type: 'part' })) });
    else if (partition) found.push({ name: partition.name, fstype: partition.fstype ?? null, type: 'part', children: [] });
    else stderr += `lsblk: ${path}: not a block device\n`;
  }
  if (stderr) process.stderr.write(stderr);
  if (found.length === 0) return 32;
  const row = (device) => {
    const out = {};
    for (const column of columns) out[COLUMNS[column]] = device[COLUMNS[column]];
    if (device.children.length > 0) out.children = device.children.map((child) => row({ ...child, children: [] }));
    return out;
  };
  if (json) {
    const lines = found.map((device) => `      ${JSON.stringify(row(device)).replace(/,"/g, ', "')}`);
    process.stdout.write(`{\n   "blockdevices": [\n${lines.join(',\n')}\n   ]\n}\n`);
  } else {
    process.stdout.write(`${columns.join(' ')}\n`);
    for (const device of found) {
      process.stdout.write(`${columns.map((c) => device[COLUMNS[c]] ?? '').join(' ')}\n`);
      for (const child of device.children) process.stdout.write(`└─${columns.map((c) => child[COLUMNS[c]] ?? '').join(' ')}\n`);
    }
  }
  return stderr ? 64 : 0;
}
