import { definePackage } from "@id/build-config/tsup";

export default definePackage();
