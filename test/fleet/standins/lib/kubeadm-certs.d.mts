// Types of kubeadm-certs.mjs for the fleet's TypeScript side (tests).
export declare const KUBEADM_CERTS: Array<{ name: string; long: string; ca: string; file?: string; kubeconfig?: string }>;
export declare function humanDuration(ms: number): string;
export declare function formatExpiry(date: Date): string;
export declare function runCerts(sub: string | undefined, rest: string[], flags: Record<string, unknown>): number;
export declare function certificateDates(): Record<string, Date | null>;
