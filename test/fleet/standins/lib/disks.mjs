// lsblk, for the disks a fleet node declares (FleetNodeSpec.disks; written to node.json): the
// node's system disk is not listed, only the declared ones. Answers as util-linux (2.38.1 checked)
// does, in its layout (one key a line): `lsblk -J -b -o NAME,FSTYPE,TYPE,PTTYPE,SIZE,RO,MOUNTPOINT /dev/sdb`
// prints "size" in bytes as a number with -b (a string such as "10G" without), "ro" as a boolean, null
// for an empty value; partitions as "children" of type part (their pttype is the disk's table, "gpt"
// unless declared); an unknown path fails with "lsblk: /dev/x: not a block device" and exit 32
// (lsblk(8), EXIT STATUS: 32 none of the devices found). A declared disk has 10 GiB unless it says
// `size` (bytes), is writable unless `ro: true`, and unmounted unless `mountpoint`.
import { fail, thisNode } from './context.mjs';

const COLUMNS = { NAME: 'name', FSTYPE: 'fstype', TYPE: 'type', PTTYPE: 'pttype', SIZE: 'size', RO: 'ro', MOUNTPOINT: 'mountpoint' };
const GIB = 1024 ** 3;
const DEFAULT_SIZE = 10 * GIB;

/** lsblk's size without -b: 1024-based, one unit letter, up to one decimal ("10G", "1.5T"). */
function humanSize(bytes) {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${text}${units[unit]}`;
}

/** The declared disks of a node.json: [{ name, fstype?, size?, ro?, mountpoint?, pttype?, partitions?: [{ name, fstype?, size?, mountpoint? }] }]. */
export function disksOf(node) {
  return (node?.disks ?? []).map((disk) => (typeof disk === 'string' ? { name: disk } : disk));
}

export async function run(_tool, argv) {
  let json = false;
  let bytes = false;
  let columns = ['NAME', 'MAJ:MIN', 'RM', 'SIZE', 'RO', 'TYPE', 'MOUNTPOINTS'];
  const paths = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-J' || arg === '--json') json = true;
    else if (arg === '-b' || arg === '--bytes') bytes = true;
    else if (arg === '-o' || arg === '--output') columns = String(argv[++i] ?? '').split(',').map((c) => c.trim().toUpperCase());
    else if (arg.startsWith('--output=')) columns = arg.slice(9).split(',').map((c) => c.trim().toUpperCase());
    else if (arg.startsWith('-')) fail(1, `lsblk: unrecognized option '${arg}' (not simulated by the fleet)`);
    else paths.push(arg);
  }
  const unknown = columns.find((column) => !COLUMNS[column]);
  if (unknown) fail(1, `fleet: lsblk column ${unknown} is not simulated (${Object.keys(COLUMNS).join(', ')} are)`);
  const disks = disksOf(thisNode());
  const found = [];
  let stderr = '';
  for (const path of paths.length > 0 ? paths : disks.map((disk) => `/dev/${disk.name}`)) {
    const name = path.replace(/^\/dev\//, '');
    const disk = disks.find((d) => d.name === name);
    const partition = disks.flatMap((d) => d.partitions ?? []).find((p) => p.name === name);
    const table = (d) => d.pttype ?? ((d.partitions ?? []).length > 0 ? 'gpt' : null);
    const part = (p, parent) => ({ name: p.name, fstype: p.fstype ?? null, type: 'part', pttype: table(parent), size: p.size ?? GIB, ro: false, mountpoint: p.mountpoint ?? null, children: [] });
    const parentOf = (p) => disks.find((d) => (d.partitions ?? []).includes(p));
    if (disk) found.push({ name: disk.name, fstype: disk.fstype ?? null, type: 'disk', pttype: table(disk), size: disk.size ?? DEFAULT_SIZE, ro: disk.ro === true, mountpoint: disk.mountpoint ?? null, children: (disk.partitions ?? []).map((p) => part(p, disk)) });
    else if (partition) found.push(part(partition, parentOf(partition)));
    else stderr += `lsblk: ${path}: not a block device\n`;
  }
  if (stderr) process.stderr.write(stderr);
  if (found.length === 0) return 32;
  const value = (device, column) => (column === 'SIZE' && !bytes ? humanSize(device.size) : device[COLUMNS[column]]);
  // util-linux's layout: three spaces a level, "},{" between siblings, one key a line.
  const print = (device, depth) => {
    const pad = ' '.repeat(3 * depth);
    const keys = columns.map((column) => `${pad}   ${JSON.stringify(COLUMNS[column])}: ${JSON.stringify(value(device, column) ?? null)}`);
    if (device.children.length > 0) {
      keys.push(`${pad}   "children": [\n${pad}      ${device.children.map((child) => print(child, depth + 2)).join(',')}\n${pad}   ]`);
    }
    return `{\n${keys.join(',\n')}\n${pad}}`;
  };
  if (json) {
    process.stdout.write(`{\n   "blockdevices": [\n      ${found.map((device) => print(device, 2)).join(',')}\n   ]\n}\n`);
  } else {
    process.stdout.write(`${columns.join(' ')}\n`);
    for (const device of found) {
      process.stdout.write(`${columns.map((c) => value(device, c) ?? '').join(' ')}\n`);
      for (const child of device.children) process.stdout.write(`└─${columns.map((c) => value(child, c) ?? '').join(' ')}\n`);
    }
  }
  return stderr ? 64 : 0;
}
