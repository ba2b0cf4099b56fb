import { registerPluginHooks } from '../strategy/plugin-loader.ts';

// `node --import <this module> --test ...` in a project folder: 'hft-platform' is the running
// platform and TypeScript tests load through tsx, as alphas and plugin strategies do (Gate B).
await registerPluginHooks(process.cwd());
