import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAsync } from '@/shared/lib/useAsync';
import { Logo } from '@/shared/ui/Logo';
import { getAuthConfig } from '../api/auth';
import { useAuth } from '@/shared/session/useAuth';
import { AuthForm, type AuthMode } from './AuthForm';

export function AuthPage({ mode }: { mode: AuthMode }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  // Tells whether sign-up needs an invitation code; until it answers the form asks for none.
  const config = useAsync(getAuthConfig, []);
  if (auth.user) return <Navigate to={from} replace />;
  return (
    <div className="flex min-h-screen">
      <div className="relative hidden flex-1 overflow-hidden bg-gradient-to-br from-brand-700 via-indigo-600 to-fuchsia-600 lg:block">
        <div className="absolute inset-0 opacity-30" style={{ backgroundImage: 'radial-gradient(circle at 20% 20%, #fff3 0, transparent 40%), radial-gradient(circle at 80% 60%, #f0abfc55 0, transparent 45%)' }} />
        <div className="relative flex h-full flex-col justify-between p-12 text-white">
          <Logo inverted />
          <div>
            <h2 className="max-w-lg text-4xl font-semibold leading-tight">Generate, keep and manage your images in one place.</h2>
            <p className="mt-4 max-w-md text-indigo-100">Describe a scene, pick one of the models this server offers and follow each image’s progress. Every image keeps the parameters that made it.</p>
          </div>
          <p className="text-sm text-indigo-200">Self-hosted · Open API · Your images stay yours</p>
        </div>
      </div>
      <main className="flex flex-1 items-center justify-center px-4 py-12 sm:px-8">
        <div className="w-full max-w-sm">
          <div className="mb-8 lg:hidden"><Logo /></div>
          <h1 className="text-2xl font-semibold tracking-tight">{mode === 'register' ? 'Create your account' : 'Sign in to RenderMart'}</h1>
          <p className="mb-8 mt-2 text-sm text-slate-500 dark:text-slate-400">
            {mode === 'register' ? 'Start generating images in seconds.' : 'Welcome back. Enter your details to continue.'}
          </p>
          <AuthForm
            mode={mode}
            needsInvite={config.data?.registration === 'invite'}
            onSubmit={async (c) => {
              await (mode === 'register' ? auth.register(c) : auth.login(c));
              navigate(from, { replace: true });
            }}
          />
        </div>
      </main>
    </div>
  );
}
