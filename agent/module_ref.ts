/**
 * Module references of an agent file (`./x.ts#Name`), for the layers above `agent/`: the one
 * rule that tells a module path from a registry name and loads the named export (relative to the
 * agent directory, with the plugin guard installed first). Plugins and the sandbox backend
 * registry (`runner/sandbox_registry.ts`) share it.
 *
 * @example
 * ```ts
 * import { isModuleRef } from "./module_ref.ts";
 * console.assert(isModuleRef("./my_backend.ts#make") && !isModuleRef("local-docker"));
 * ```
 * @module
 */
export { instantiate, isClass, isModuleRef, resolveRef } from "./_config_plugins.ts";
export type { RefSite, ResolvedRef } from "./_config_plugins.ts";
