import { Navigate, Route, Routes, useLocation, BrowserRouter } from 'react-router-dom';
import type { ReactNode } from 'react';
import { AuthProvider, useAuth } from '@/shared/session/useAuth';
import { AuthPage } from '@/features/auth/components/AuthPage';
import { CreatePage } from '@/features/create/components/CreatePage';
import { EditPage } from '@/features/edit/components/EditPage';
import { UploadPage } from '@/features/edit/components/UploadPage';
import { GalleryPage } from '@/features/gallery/components/GalleryPage';
import { ImagePage } from '@/features/gallery/components/ImagePage';
import { JobsPage } from '@/features/jobs/components/JobsPage';
import { ModelsPage } from '@/features/models/components/ModelsPage';
import { NoAiModelNote } from '@/features/models/components/NoAiModelNote';
import { UsersPage } from '@/features/users/components/UsersPage';
import { EmptyState, Spinner } from '@/shared/ui/ui';
import { Layout } from './Layout';
import { SettingsPage } from './SettingsPage';

/** Create, with the models feature's way to add a model while the demo generator is the only one. */
function CreateRoute() {
  const isAdmin = useAuth().user?.is_admin ?? false;
  return <CreatePage noAiModelNote={(onInstalled) => <NoAiModelNote isAdmin={isAdmin} onInstalled={onInstalled} />} />;
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { user, checking } = useAuth();
  const location = useLocation();
  if (checking) return <div className="flex min-h-screen items-center justify-center"><Spinner /></div>;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

export function App() {
  return (
    <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <AuthProvider>
        <Routes>
          <Route path="/login" element={<AuthPage mode="login" />} />
          <Route path="/register" element={<AuthPage mode="register" />} />
          <Route element={<RequireAuth><Layout /></RequireAuth>}>
            <Route index element={<CreateRoute />} />
            <Route path="gallery" element={<GalleryPage />} />
            <Route path="images/:id" element={<ImagePage />} />
            <Route path="edit" element={<UploadPage />} />
            <Route path="edit/:id" element={<EditPage />} />
            <Route path="jobs" element={<JobsPage />} />
            <Route path="models" element={<ModelsPage />} />
            <Route path="settings" element={<SettingsPage />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
          </Route>
        </Routes>
      </AuthProvider>
    </BrowserRouter>
  );
}
