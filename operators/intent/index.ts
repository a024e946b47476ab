export { featureSlots, customerText } from './features.js';
export {
  IntentClassifier,
  DEFAULT_MODEL_PATH,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelFileError,
  loadModelFile,
  parseModel,
  serializeModel,
  type IntentModel,
  type IntentPrediction,
  type TrainingInfo,
} from './model.js';
export { trainIntentModel, DEFAULT_TRAIN_OPTIONS, KNOWN_INTENTS, labelOrder, type LabelledExample, type TrainOptions } from './train.js';
export { evaluatePredictions, formatEvaluation, type Evaluation, type ClassFigures } from './evaluate.js';
export { parseLabels } from './labels.js';
