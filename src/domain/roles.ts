/** The roles every installation has; custom roles are added beside them. */
export const BUILT_IN_ROLES = ['viewer', 'operator', 'admin'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];
