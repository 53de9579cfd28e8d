/**
 * Built-in symptom sets, written for this project in plain visual words a general CLIP model knows (colour, shape,
 * brightness, texture), avoiding the class names, as ViP's symptom generator is asked to. Four per class, as in the
 * paper. Class names match the authors' datasets (`normal lung` / `pneumonia`, `melanoma` / `nevus`).
 */
import { parseSymptomSet, type SymptomSet } from './symptom-set';

export interface BuiltinSymptomSet {
  id: string;
  title: string;
  modality: string;
  symptoms: Record<string, string[]>;
}

export const builtinSymptomSets: readonly BuiltinSymptomSet[] = [
  {
    id: 'chest-xray',
    title: 'Pediatric chest X-ray: normal lung vs pneumonia',
    modality: 'chest X-ray',
    symptoms: {
      'normal lung': [
        'dark, clear lung fields on both sides',
        'sharp outlines of the heart and the diaphragm',
        'thin branching lines that fade toward the outer edges',
        'even, symmetric texture without bright patches',
      ],
      pneumonia: [
        'white, cloudy patches inside the lung',
        'a hazy area that hides part of the heart or diaphragm outline',
        'a dense bright region filling one section of the lung',
        'uneven, blotchy texture with streaky shadows',
      ],
    },
  },
  {
    id: 'dermoscopy',
    title: 'Dermoscopy: melanoma vs nevus',
    modality: 'dermoscopy',
    symptoms: {
      melanoma: [
        'several colors mixed together, such as black, dark brown, blue and gray',
        'a lopsided, irregular shape',
        'a blurry, notched border',
        'scattered dots and streaks near the edge',
      ],
      nevus: [
        'one even shade of light or medium brown',
        'a round or oval, symmetric shape',
        'a smooth, clearly defined border',
        'a fine, regular net of thin brown lines',
      ],
    },
  },
];

export function builtinSymptomSet(id: string): SymptomSet | undefined {
  const found = builtinSymptomSets.find((s) => s.id === id);
  return found ? parseSymptomSet(found.symptoms, { label: `built-in symptom set ${id}` }) : undefined;
}
