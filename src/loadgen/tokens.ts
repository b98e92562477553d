// Moved to src/engine/tokens.ts (pure, shared with the simulator, which may not import adapters).
export * from '../engine/tokens.js';
