#include "api/authentication.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"

namespace rendermart::api {
namespace {

// Administrators only; anyone else is told the route does not exist, as for another user's
// resources.
User require_admin(ApiContext& context, const http::Request& request) {
  auto user = require_user(context, request);
  if (!user.is_admin) throw Error(ErrorCode::not_found, "no route for " + request.path);
  return user;
}

}  // namespace

void add_invitation_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::GET, "/api/v1/admin/invitations", [&context](http::Request& request) {
    require_admin(context, request);
    const auto write = [](JsonWriter& w, const Invitation& invitation) {
      write_invitation(w, invitation);
    };
    return json_reply(200, render_items(context.accounts.list_invitations(), write));
  });

  router.add(Method::POST, "/api/v1/admin/invitations", [&context](http::Request& request) {
    const auto created = context.accounts.create_invitation(require_admin(context, request));
    JsonWriter w;
    write_invitation(w, created.invitation, &created.code);
    auto response = json_reply(201, w.take());
    response.set_header("Cache-Control", "no-store");
    return response;
  });

  router.add(Method::DELETE_, "/api/v1/admin/invitations/{id}", [&context](http::Request& request) {
    require_admin(context, request);
    context.accounts.revoke_invitation(request.param("id"));
    http::Response response;
    response.status = 204;
    return response;
  });
}

}  // namespace rendermart::api
