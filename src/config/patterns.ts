/**
 * Strict shapes for every spec value that later reaches a command line (on this machine or over
 * SSH on a node). Allow-lists, not block-lists: a value that does not match is refused before any
 * tool sees it, so `a; rm -rf /` can never become part of a command.
 */

/** RFC 1123 label, as Kubernetes uses for node and object names. */
export const DNS1123_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS host name (labels of letters, digits and '-', separated by dots). */
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
export const DNS_NAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** A login name as useradd accepts it by default (Debian/Ubuntu NAME_REGEX). */
export const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Zones, regions, instance types, buckets: letters, digits, '.', '_' and '-'. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Image ids: AMI ids, UUIDs, Glance names without spaces. */
export const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;

/** Human names of public templates/images/networks: may contain spaces, never shell syntax. */
export const DISPLAY_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:()+/-]{0,254}$/;

/** Local file paths: anything printable; control characters (newlines, NUL) are refused. */
// eslint-disable-next-line no-control-regex
export const LOCAL_PATH = /^[^\u0000-\u001f\u007f]{1,4096}$/;

/** An object key inside a bucket: path-like. */
export const OBJECT_KEY = /^[A-Za-z0-9._/-]{1,1024}$/;

/** An https URL (host, optional port and path): Terraform state never travels in clear text. */
export const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

/** One IPv4 address (octets 0-255, no leading zeros). */
const IPV4 = '(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** A MetalLB pool entry: a range "A-B" or a CIDR, IPv4 (metallb.io/v1beta1 IPAddressPool spec.addresses). */
export const IPV4_RANGE_OR_CIDR = new RegExp(`^${IPV4}(?:-${IPV4}|/(?:3[0-2]|[12]?[0-9]))$`);

/** A kernel block device name as it appears under /dev: sdb, vdb, xvdf, nvme1n1. */
export const BLOCK_DEVICE_NAME = /^[a-z][a-z0-9]{1,31}$/;

/**
 * A DNS-1123 subdomain, lowercase: what an Ingress host must be (Kubernetes validates
 * spec.rules[].host as one, k8s.io/apimachinery IsDNS1123Subdomain), at most 253 characters.
 */
export const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * An S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a
 * letter or digit (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html; MinIO
 * and Exoscale SOS follow the same rules).
 */
export const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A folder inside a bucket: path segments of letters, digits, '.', '_' and '-', no leading or trailing '/'. */
export const OBJECT_PREFIX = /^[A-Za-z0-9._-]{1,255}(?:\/[A-Za-z0-9._-]{1,255}){0,15}$/;

/**
 * A Prometheus duration, not empty and not 0: the Duration type of the Prometheus Operator
 * (prometheus-operator pkg/apis/monitoring/v1/types.go, kubebuilder pattern
 * ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$).
 */
export const PROMETHEUS_DURATION = /^(?=.)(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$/;

/**
 * A Go duration of hours, minutes and seconds, e.g. 720h or 1h30m (time.ParseDuration; Velero's
 * backup TTL is a metav1.Duration, parsed by it). Units smaller than a second make no sense for a TTL.
 */
export const GO_DURATION = /^(?=.)(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?$/;

/**
 * A standard cron schedule: five fields (minute hour day-of-month month day-of-week) of digits,
 * names (JAN, MON), '*', ',', '-', '/' and '?' (robfig/cron's standard parser, which Velero's
 * Schedule uses), separated by spaces.
 */
export const CRON_SCHEDULE = /^[0-9A-Za-z*,/?-]+(?: +[0-9A-Za-z*,/?-]+){4}$/;

/** An e-mail address as far as a form can tell: something@a.domain, no spaces or quotes. */
export const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * A best-effort DNS-1123 label made from any text, to suggest as a fix ("My Cluster" -> "my-cluster").
 * Returns undefined when nothing usable is left.
 */
export function suggestDnsLabel(text: string): string | undefined {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? undefined : slug;
}
