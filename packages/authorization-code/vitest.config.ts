import { definePreset } from "@id/vitest-config";

export default definePreset();
