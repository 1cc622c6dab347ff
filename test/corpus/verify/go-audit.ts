/** Filled below. */
export const GO_EXCEPTIONS: Record<string, string> = {};
