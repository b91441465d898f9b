/** What spend tests through the stack share: the admin token, a concurrent race, the ledger as the budget API shows it. */
import type { Stack } from '../../devkit/stack.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** `n` concurrent non-streaming "Hello" requests through Envoy; their HTTP statuses. */
export function concurrentHellos(stack: Stack, n: number): Promise<number[]> {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
  return Promise.all(
    Array.from({ length: n }, async () => {
      const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      return r.status;
    }),
  );
}

/** The default tenant's counter (`tenant:anonymous`) from one replica's budget API. */
export async function anonymousBudget(adminPort: number, token = TEST_ADMIN_TOKEN): Promise<{ spent: number; reserved: number }> {
  const r = await fetch(`http://127.0.0.1:${adminPort}/api/budget?scope=tenant:anonymous`, { headers: { authorization: `Bearer ${token}` } });
  return ((await r.json()) as { budgets: Array<{ spent: number; reserved: number }> }).budgets[0]!;
}
