/**
 * `versions.discard`: removes a version nobody relies on, the "discard" of the training wizard. A version that is
 * or was used (active now, or any prediction made with it) stays: the record of what produced a prediction must
 * survive. The row goes in a durable transaction; its folder is moved aside first and deleted after the commit, so a
 * crash leaves either the version or nothing of it that anything refers to.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { badInput, notFound } from '@shared/errors';
import type { EngineContext } from '../context';
import { getModelVersion } from '../store/model-version-repo';

export function discardVersion(ctx: EngineContext, id: number): { discarded: number } {
  const { store, paths } = ctx;
  const actor = ctx.actor();
  const dir = join(paths.versions, String(id));
  const aside = join(paths.versions, `.discard-${id}-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    store.durableTransaction(() => {
      const row = getModelVersion(store.db, id);
      if (!row) throw notFound(`No model version ${id}`);
      if (row.active) throw badInput(`Model version ${id} is active; activate another version before discarding it`);
      const used = store.db
        .prepare<[number], { n: number }>('SELECT count(*) AS n FROM predictions WHERE model_version_id = ?')
        .get(id);
      if ((used?.n ?? 0) > 0) {
        throw badInput(`Model version ${id} made ${used?.n} prediction(s); it is kept as their record`);
      }
      store.db.prepare('DELETE FROM model_versions WHERE id = ?').run(id);
      store.audit.record({
        actor,
        action: 'version.discard',
        entity: 'model_version',
        entityId: id,
        detail: { name: row.name, trainingRunId: row.trainingRunId },
      });
      if (existsSync(dir)) {
        renameSync(dir, aside);
        moved = true;
      }
    });
  } catch (err) {
    if (moved) renameSync(aside, dir);
    throw err;
  }
  if (moved) rmSync(aside, { recursive: true, force: true });
  return { discarded: id };
}
