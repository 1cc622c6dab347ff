/**
 * Globs where `*` matches any run of characters (none included, `/` and `:`
 * too) and every other character itself, matched in linear time: the glob
 * is split at its stars, the first piece must start the value, the last
 * must end it, and the pieces between are found left to right, each at its
 * earliest position. Earliest is always right for `*`-only globs (a later
 * occurrence leaves less room for the pieces after it), so nothing is ever
 * retried, unlike a regular expression's `.*`, which backtracks: the glob
 * `refs/heads/*-*-*-*-x` against 1,000 hyphens took 43 s as a RegExp
 * (issue 21 #6). The value is attacker-chosen (a branch name in a signed
 * token), the glob is the operator's.
 */
export interface Glob {
  readonly source: string;
  test(value: string): boolean;
}

export function compileGlob(glob: string): Glob {
  const pieces = glob.split("*");
  if (pieces.length === 1) return { source: glob, test: (value) => value === glob };
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
  const fixedLength = first.length + last.length;
  return {
    source: glob,
    test(value) {
      if (value.length < fixedLength || !value.startsWith(first) || !value.endsWith(last)) return false;
      // The middle pieces must fit between the first piece and the last.
      const end = value.length - last.length;
      let at = first.length;
      for (const piece of middle) {
        const found = value.indexOf(piece, at);
        if (found < 0 || found + piece.length > end) return false;
        at = found + piece.length;
      }
      return true;
    },
  };
}
