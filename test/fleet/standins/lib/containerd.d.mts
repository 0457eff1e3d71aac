// Types of containerd.mjs for the fleet's TypeScript side.
export declare const DOCKER_STOCK_CONFIG: string;
