// The AES-GCM associated data of an endpoint's secret: the ciphertext decrypts on its own row only.
export function secretAssociatedData(endpointId: string): string {
  return `webhook_endpoint:${endpointId}`;
}
