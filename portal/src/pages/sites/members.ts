// Every member of the account, for pickers (job-site assignment, timesheet filter): the members list followed page
// by page when the API pages it.

import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";

export type MemberSummary = Pick<components["schemas"]["MemberPublic"], "userId" | "fullName" | "timeZone" | "role">;

export async function allMembers(accountId: string): Promise<MemberSummary[]> {
  const page = data(await api().GET("/api/accounts/{accountId}/members", { params: { path: { accountId } } }));
  const out: MemberSummary[] = [...page.items];
  let continuation = "continuation" in page ? (page as { continuation?: string | null }).continuation : undefined;
  while (continuation) {
    const next = data(
      await api().GET("/api/accounts/{accountId}/members", {
        params: { path: { accountId }, query: { continuation } as never },
      }),
    );
    out.push(...next.items);
    continuation = "continuation" in next ? (next as { continuation?: string | null }).continuation : undefined;
  }
  return out.sort((a, b) => a.fullName.localeCompare(b.fullName));
}
