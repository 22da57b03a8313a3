import { ClientSecretCredential } from "@id/client-secret";

const credential = new ClientSecretCredential(process.env.AZURE_TENANT_ID, process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET);
const token = await credential.getToken("https://management.azure.com/.default");
console.log(token.expiresOnTimestamp);
