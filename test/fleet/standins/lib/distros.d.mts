// Types of distros.mjs for the fleet's TypeScript side.
export interface Distro {
  name: string;
  id: 'ubuntu' | 'debian';
  versionId: string;
  codename: string;
  pretty: string;
  archive: string;
  packages: Record<string, string>;
  containerdConfig?: string;
}
export declare const DISTROS: Record<string, Omit<Distro, 'name'>>;
export declare const DEFAULT_DISTRO: string;
export declare function distroOf(name?: string): Distro;
export declare function dockerRepoPackages(distro: Distro): Record<string, string[]>;
export declare function dockerRepoUrl(distro: Distro): string;
export declare const RELATIONS: Record<string, { depends?: string[]; conflicts?: string[]; provides?: string[]; versionedDepends?: string[] }>;
