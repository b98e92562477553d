// Moved to src/engine/arrivals.ts (pure, shared with the simulator, which may not import adapters).
export * from '../engine/arrivals.js';
