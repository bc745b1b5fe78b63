export { startSimulator, type Simulator, type SimulatorOptions } from './simulator.js';
export { newControlToken } from './controlToken.js';
export { ApplicationKeys, type ApplicationAuth, type SimApplication } from './applicationKeys.js';
export { Scenario, DEFAULT_SCENARIO } from './scenario.js';
export { ScenarioTarget } from './scenarioTarget.js';
export type { SimMessage, SimStatus } from './messageStore.js';
