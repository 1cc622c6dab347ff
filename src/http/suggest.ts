/**
 * "Did you mean …?" for a misspelt field name: the known name closest by
 * edit distance (Levenshtein, after case and -/_ folding), when it is close
 * enough to be the likely intent (`hostname` → `hostnames`, `common-name` →
 * `common_name`) and unambiguous.
 */

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

const fold = (s: string) => s.toLowerCase().replace(/-/g, "_");

/** The known name `given` most likely meant, or undefined when none is close (at most 2 edits, and fewer than a third of its length). */
export function closestName(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const name of known) {
    const d = editDistance(fold(given), fold(name));
    if (d < bestDistance) [best, bestDistance, tie] = [name, d, false];
    else if (d === bestDistance) tie = true;
  }
  if (best === undefined || tie || bestDistance > 2 || bestDistance * 3 > Math.max(given.length, best.length)) return undefined;
  return best;
}
