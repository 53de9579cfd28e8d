/**
 * The training wizard's choices, kept in a module store so they survive leaving the screen (a run keeps going in
 * the engine; coming back shows it).
 */
import { createStore } from '../../lib/store';
import { initialWizard, type WizardState } from './wizard-logic';

export * from './wizard-logic';

export const wizard = createStore<WizardState>(initialWizard);
