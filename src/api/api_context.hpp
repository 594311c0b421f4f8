#pragma once

#include <chrono>

#include "core/metrics.hpp"
#include "http/public_url.hpp"
#include "http/trusted_proxies.hpp"
#include "library/pull_manager.hpp"
#include "services/account_service.hpp"
#include "services/generation_service.hpp"
#include "services/image_service.hpp"
#include "services/model_catalog.hpp"
#include "services/password_pool.hpp"
#include "services/preference_service.hpp"
#include "services/quota_service.hpp"
#include "services/readiness.hpp"
#include "services/upload_service.hpp"
#include "services/user_admin_service.hpp"

namespace rendermart::api {

// What route handlers may use: services, never the store or the blob store themselves.
struct ApiContext {
  AccountService& accounts;
  PreferenceService& preferences;
  GenerationService& generations;
  ImageService& images;
  UploadService& uploads;
  QuotaService& quotas;
  UserAdminService& users;
  const ModelCatalog& catalog;
  Readiness& readiness;
  Metrics& metrics;
  // Runs password hashing and verification off the HTTP threads (api/password_work.hpp).
  PasswordPool& passwords;
  bool secure_cookies = false;  // set the Secure attribute (behind HTTPS)
  // Send image downloads to presigned storage URLs (when the storage has them) instead of
  // through the API; the URLs expire after presign_expiry.
  bool redirect_downloads = false;
  std::chrono::seconds presign_expiry{300};
  // The local model library (pulls, removal); nullptr when this process runs no local engine.
  library::PullManager* model_library = nullptr;
  // The proxies whose X-Forwarded-For names the client (sign-in and sign-up throttling).
  http::TrustedProxies trusted_proxies;
  // Where clients reach this service: the origin of same-origin checks (api/cross_site.hpp) and
  // the base of absolute URLs.
  http::PublicUrl public_url;
};

}  // namespace rendermart::api
