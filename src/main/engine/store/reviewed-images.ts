/** The reviewed images of the store as training data: each image of a reviewed case, labelled by the review. */
import type { ReviewedImage } from '../training/dataset';
import type { Store } from './store';

export function listReviewedImages(store: Store): ReviewedImage[] {
  const rows = store.db
    .prepare<[], { id: number; case_id: number; rel_path: string; original_name: string; review_label: string }>(
      `SELECT i.id, i.case_id, i.rel_path, i.original_name, c.review_label
       FROM images i JOIN cases c ON c.id = i.case_id
       WHERE c.review_status = 'reviewed' AND c.review_label IS NOT NULL
       ORDER BY i.id`,
    )
    .all();
  return rows.map((r) => ({
    path: store.imageFiles.absPath(r.rel_path),
    name: `case ${r.case_id} image ${r.id} (${r.original_name})`,
    reviewLabel: r.review_label,
  }));
}
