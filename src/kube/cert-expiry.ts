/**
 * The control-plane certificates kubeadm manages and when they expire: the commands and the
 * reader of `kubeadm certs check-expiration`'s output.
 *
 * Why the text table: `-o json|yaml` exists (kubernetes.io/docs/reference/setup-tools/kubeadm/
 * generated/kubeadm_certs/kubeadm_certs_check-expiration: "-o, --output string Default: text"),
 * but the flag was `--experimental-output` until v1.31 and its object's group version moved
 * (output.kubeadm.k8s.io v1alpha2 → v1alpha3), while the table has kept one form since kubeadm
 * 1.20 (kubernetes/kubeadm#2866 quotes it; the same in kubernetes.io "Certificate Management with
 * kubeadm"):
 *
 *   CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
 *   admin.conf                 Aug 19, 2026 09:03 UTC   360d            ca                      no
 *   ...
 *   CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
 *   ca                      Aug 17, 2035 09:03 UTC   9y              no
 *
 * Columns are found by the header's positions (Go tabwriter pads with spaces); "!MISSING! <name>"
 * rows are certificates whose files are absent. EXPIRES is Go's "Jan 02, 2006 15:04 MST";
 * RESIDUAL TIME is apimachinery's HumanDuration ("364d", "9y", "3y5d", "20h", "<invalid>"),
 * counted by kubeadm on the node's clock: the one the components there check the certificates on.
 */
import { ExternalToolError } from '../errors.js';
import type { Argv } from './node-commands.js';

export const checkExpiration = (): Argv => ['kubeadm', 'certs', 'check-expiration'];
export const renewAll = (): Argv => ['kubeadm', 'certs', 'renew', 'all'];

/** status (and certs check) warns when a certificate has less left than this. */
export const CERT_WARN_DAYS = 30;

export interface CertExpiry {
  name: string;
  /** ISO time; unset for a missing certificate. */
  expires?: string;
  /** Whole days left as kubeadm counted them on the node (negative: expired); unset when missing. */
  daysLeft?: number;
  /** The RESIDUAL TIME cell as printed. */
  residual?: string;
  /** Signing CA (leaf certificates only). */
  authority?: string;
  externallyManaged: boolean;
  missing: boolean;
}

export interface CertExpiryTable {
  certificates: CertExpiry[];
  authorities: CertExpiry[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Aug 19, 2026 09:03 UTC" → Date (UTC, or a numeric zone kubeadm would print as "+0200"). */
export function parseKubeadmDate(text: string): Date | undefined {
  const match = /^([A-Z][a-z]{2}) (\d{2}), (\d{4}) (\d{2}):(\d{2}) (\S+)$/.exec(text.trim());
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return undefined;
  const utc = Date.UTC(Number(match[3]), month, Number(match[2]), Number(match[4]), Number(match[5]));
  const zone = /^([+-])(\d{2})(\d{2})$/.exec(match[6]!);
  const offset = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000 : 0;
  return new Date(utc - offset);
}

/** HumanDuration → whole days (floor), or undefined when it is not one. "<invalid>" is expired (-1). */
export function residualDays(text: string): number | undefined {
  const value = text.trim();
  if (value === '<invalid>') return -1;
  const match = /^(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') return undefined;
  const [, y, d, h, m, s] = match.map((part) => Number(part ?? 0));
  const seconds = y! * 365 * 86_400 + d! * 86_400 + h! * 3_600 + m! * 60 + s!;
  return Math.floor(seconds / 86_400);
}

interface Column {
  key: string;
  start: number;
}

function columnsOf(header: string, names: string[]): Column[] {
  return names.map((name) => {
    const start = header.indexOf(name);
    if (start < 0) throw new Error(name);
    return { key: name, start };
  });
}

function cells(line: string, columns: Column[]): Record<string, string> {
  const out: Record<string, string> = {};
  columns.forEach((column, i) => {
    const end = columns[i + 1]?.start ?? line.length;
    out[column.key] = line.slice(column.start, end).trim();
  });
  return out;
}

const CERT_COLUMNS = ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'];
const CA_COLUMNS = ['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'];

/** Both tables of `kubeadm certs check-expiration`; an output without them is refused, naming the node. */
export function parseCheckExpiration(text: string, node: string): CertExpiryTable {
  const lines = text.split('\n');
  const certHeader = lines.findIndex((line) => line.startsWith('CERTIFICATE ') && line.includes('RESIDUAL TIME') && line.includes('CERTIFICATE AUTHORITY'));
  const caHeader = lines.findIndex((line, i) => i > certHeader && line.startsWith('CERTIFICATE AUTHORITY ') && line.includes('RESIDUAL TIME'));
  if (certHeader < 0 || caHeader < 0) {
    throw new ExternalToolError('CertExpiryUnreadable', `kubeadm certs check-expiration on ${node} printed no certificate table`, {
      details: lines.filter(Boolean).slice(-3),
      hint: `Run it by hand (k8s-bootstrap ssh ${node} -- sudo kubeadm certs check-expiration) to see why.`,
    });
  }
  const read = (from: number, names: string[], nameKey: string): CertExpiry[] => {
    const columns = columnsOf(lines[from]!, names);
    const out: CertExpiry[] = [];
    for (const line of lines.slice(from + 1)) {
      if (line.trim() === '') break;
      const missing = /^!MISSING! (\S+)/.exec(line);
      if (missing) {
        out.push({ name: missing[1]!, externallyManaged: false, missing: true });
        continue;
      }
      const row = cells(line, columns);
      const date = parseKubeadmDate(row.EXPIRES ?? '');
      const residual = row['RESIDUAL TIME'] ?? '';
      const name = row[nameKey] ?? '';
      if (!name || !date) continue;
      out.push({
        name,
        expires: date.toISOString(),
        daysLeft: residualDays(residual) ?? Math.floor((date.getTime() - Date.now()) / 86_400_000),
        residual,
        ...(nameKey === 'CERTIFICATE' && row['CERTIFICATE AUTHORITY'] ? { authority: row['CERTIFICATE AUTHORITY'] } : {}),
        externallyManaged: row['EXTERNALLY MANAGED'] === 'yes',
        missing: false,
      });
    }
    return out;
  };
  return { certificates: read(certHeader, CERT_COLUMNS, 'CERTIFICATE'), authorities: read(caHeader, CA_COLUMNS, 'CERTIFICATE AUTHORITY') };
}

/** The certificate names `kubeadm certs renew all` printed as renewed ("… renewed" lines), for the log. */
export function renewedCount(stdout: string): number {
  return stdout.split('\n').filter((line) => / renewed$/.test(line)).length;
}

/** The earliest expiry among present certificates (and CAs), or undefined. */
export function soonest(table: CertExpiryTable): CertExpiry | undefined {
  return [...table.certificates, ...table.authorities]
    .filter((cert) => !cert.missing && cert.daysLeft !== undefined)
    .sort((a, b) => a.daysLeft! - b.daysLeft! || a.expires!.localeCompare(b.expires!))[0];
}
