// Names for the generated OpenAPI schemas (schema.d.ts is generated; never edit it by hand).
import type { components, operations } from './schema';

type S = components['schemas'];
export type User = S['User'];
export type Preferences = S['Preferences'];
export type PreferencesInput = S['PreferencesInput'];
export type ApiKey = S['ApiKey'];
export type ApiKeyWithSecret = S['ApiKeyWithSecret'];
export type GenerationRequest = S['GenerationRequest'];
export type GenerationParams = S['GenerationParams'];
export type GenerationStatus = S['GenerationStatus'];
export type GenerationTask = S['GenerationTask'];
export type Generation = S['Generation'];
export type ProgressEvent = S['ProgressEvent'];
export type GenerationSnapshot = S['GenerationSnapshot'];
export type QueuePositions = S['QueuePositions'];
export type Image = S['Image'];
export type ImagePage = S['ImagePage'];
export type ImagePatch = S['ImagePatch'];
export type Model = S['Model'];
export type Size = S['Size'];
export type ApiErrorBody = S['Error'];
export type ErrorCode = ApiErrorBody['error']['code'];
export type ModelKind = Model['kind'];
export type ModelLibrary = S['ModelLibrary'];
export type InstalledModel = S['InstalledModel'];
export type ModelPull = S['ModelPull'];
export type ModelPullRequest = S['ModelPullRequest'];
export type RecommendedModel = S['RecommendedModel'];
export type Usage = S['Usage'];
export type UsageCount = S['UsageCount'];
export type UserLimits = S['UserLimits'];
export type AdminUser = S['AdminUser'];
export type AdminUserPage = S['AdminUserPage'];
export type AdminUserPatch = S['AdminUserPatch'];
export type AuthConfig = S['AuthConfig'];
export type Credentials = S['Credentials'];
export type Registration = S['Registration'];
export type Invitation = S['Invitation'];
export type InvitationWithCode = S['InvitationWithCode'];

/** The gallery's search: listImages' query less its paging. */
export type ImageFilters = Omit<NonNullable<operations['listImages']['parameters']['query']>, 'cursor' | 'limit'>;
