// titleFromBranch suggests a merge request title from its source branch:
// "feature/add-login_page" → "Add login page".
export function titleFromBranch(branch: string): string {
  const last = branch.split("/").filter(Boolean).pop() ?? branch;
  const words = last.replace(/[-_]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : branch;
}
