#!/usr/bin/env bash
# Puts an AWS account's values in place of the examples in the EKS deployment files:
#   deploy/eks/configure.sh ACCOUNT_ID REGION [CERTIFICATE_ARN [HOST_NAME]]
# Account 111122223333 and region us-east-1 become yours in skaffold.yaml, the eks overlay,
# deploy/eks (cluster, IAM policies) and the images bucket name rendermart-images-ACCOUNT_ID;
# HOST_NAME (the certificate's, e.g. images.example.org) becomes RENDERMART_PUBLIC_URL, the only
# origin from which the web app may change anything behind the load balancer.
# Idempotent only on a fresh checkout: run it once (the release workflow runs it on its own
# checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 ACCOUNT_ID REGION [CERTIFICATE_ARN [HOST_NAME]]" >&2
  exit 2
fi
account="$1"
region="$2"
certificate="${3:-}"
host="${4:-}"
[[ "$account" =~ ^[0-9]{12}$ ]] || { echo "ACCOUNT_ID must be 12 digits, not '$account'" >&2; exit 2; }
[[ "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || { echo "REGION looks wrong: '$region'" >&2; exit 2; }

files=(skaffold.yaml deploy/k8s/overlays/eks/*.yaml deploy/eks/cluster.yaml deploy/eks/iam/*.json)
example_certificate='arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000'
if [[ -n "$certificate" ]]; then
  [[ "$certificate" =~ ^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$ ]] ||
    { echo "CERTIFICATE_ARN looks wrong: '$certificate'" >&2; exit 2; }
  sed -i "s|$example_certificate|$certificate|g" "${files[@]}"
fi
if [[ -n "$host" ]]; then
  [[ "$host" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] ||
    { echo "HOST_NAME looks wrong: '$host' (a lower-case DNS name, no scheme)" >&2; exit 2; }
  sed -i "s|https://rendermart.example.com|https://$host|g" deploy/k8s/overlays/eks/config.yaml
else
  echo "note: RENDERMART_PUBLIC_URL stays https://rendermart.example.com: give HOST_NAME, or set it in deploy/k8s/overlays/eks/config.yaml" >&2
fi
sed -i -e "s/111122223333/$account/g" -e "s/us-east-1/$region/g" "${files[@]}"
echo "configured account $account, region $region in: ${files[*]}"
