import { errorMessage } from '@/shared/api/client';
import { useAsync } from '@/shared/lib/useAsync';
import { Alert, Card, Spinner } from '@/shared/ui/ui';
import { getUsage } from '../api/users';
import { UsageMeters } from './UsageMeters';

/** The signed-in user's usage against their limits (on the Settings page). */
export function YourUsage() {
  const usage = useAsync(getUsage, []);
  return (
    <Card>
      <section aria-labelledby="usage-heading">
        <h2 id="usage-heading" className="mb-4 text-lg font-semibold">Usage and limits</h2>
        {usage.loading && !usage.data ? <Spinner label="Loading your usage" />
          : usage.error ? <Alert>Cannot load your usage: {errorMessage(usage.error)}</Alert>
            : <UsageMeters usage={usage.data!} />}
      </section>
    </Card>
  );
}
