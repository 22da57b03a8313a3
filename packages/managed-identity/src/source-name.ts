/** The managed-identity sources' names (`credential.source`) and how messages and logs call them. */

/** The sources, by the names used in messages, logs and `credential.source`. */
export type SourceName = "TokenExchange" | "ServiceFabric" | "AppService" | "AzureML" | "CloudShell" | "AzureArc" | "Imds";

/** What messages call each source: `ManagedIdentityCredential (App Service)`. */
export const SOURCE_LABEL: Record<SourceName, string> = {
  TokenExchange: "workload identity token exchange",
  ServiceFabric: "Service Fabric",
  AppService: "App Service",
  AzureML: "Azure Machine Learning",
  CloudShell: "Cloud Shell",
  AzureArc: "Azure Arc",
  Imds: "IMDS",
};

export function who(source: SourceName): string {
  return `ManagedIdentityCredential (${SOURCE_LABEL[source]})`;
}
