/**
 * Handlers of the case store's contract methods: cases.*, images.render, settings.*, audit.list.
 */
import { readFile } from 'node:fs/promises';
import type { CaseDetail } from '@shared/contract';
import { badInput, notFound, VipError } from '@shared/errors';
import type { EngineContext } from '../context';
import type { HandlerGroup } from '../handlers';
import { renderImage } from '../imaging/render';
import { nowIso } from './clock';
import { importBatch } from './importer';
import { expandPaths, uploadSource } from './import-sources';

type StoreMethods =
  | 'cases.list'
  | 'cases.get'
  | 'cases.importPaths'
  | 'cases.importFiles'
  | 'cases.updateNotes'
  | 'images.render'
  | 'settings.get'
  | 'settings.update'
  | 'audit.list';

function caseDetail(ctx: EngineContext, id: number): CaseDetail {
  const detail = ctx.store.cases.detail(id);
  if (!detail) throw notFound(`Case ${id} does not exist`);
  return detail;
}

function assertCaseExists(ctx: EngineContext, caseId: number | undefined): void {
  if (caseId !== undefined && !ctx.store.cases.exists(caseId)) throw notFound(`Case ${caseId} does not exist`);
}

export const caseHandlers: HandlerGroup<StoreMethods> = {
  'cases.list': (params, ctx) => {
    if (params.dateFrom && params.dateTo && params.dateFrom > params.dateTo)
      throw badInput(`The date range starts (${params.dateFrom}) after it ends (${params.dateTo})`);
    return ctx.store.cases.list(params);
  },

  'cases.get': (params, ctx) => caseDetail(ctx, params.id),

  'cases.importPaths': async (params, ctx) => {
    assertCaseExists(ctx, params.caseId);
    const entries = await expandPaths(params.paths);
    return importBatch(ctx.store, entries, {
      caseId: params.caseId,
      actor: ctx.actor(),
      events: ctx.events,
      origin: 'paths',
    });
  },

  'cases.importFiles': async (params, ctx) => {
    assertCaseExists(ctx, params.caseId);
    const entries = params.files.map((f) => ({ source: uploadSource(f.name, f.data) }));
    return importBatch(ctx.store, entries, {
      caseId: params.caseId,
      actor: ctx.actor(),
      events: ctx.events,
      origin: 'upload',
    });
  },

  'cases.updateNotes': (params, ctx) => {
    const notes = params.notes.trim() === '' ? null : params.notes;
    const actor = ctx.actor();
    const updated = ctx.store.durableTransaction(() => {
      if (!ctx.store.cases.updateNotes(params.id, notes, nowIso())) return false;
      ctx.store.audit.record({
        actor,
        action: 'case.notes',
        entity: 'case',
        entityId: params.id,
        detail: { length: notes?.length ?? 0 },
      });
      return true;
    });
    if (!updated) throw notFound(`Case ${params.id} does not exist`);
    ctx.events.emit('cases.changed', { caseIds: [params.id] });
    return caseDetail(ctx, params.id);
  },

  'images.render': async (params, ctx) => {
    const image = ctx.store.images.get(params.imageId);
    if (!image) throw notFound(`Image ${params.imageId} does not exist`);
    if (params.frame >= image.frameCount) {
      throw badInput(`Image ${image.id} has ${image.frameCount} frame(s); frame ${params.frame} does not exist`);
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(ctx.store.imageFiles.absPath(image.relPath));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new VipError(
        'not_found',
        `The file of image ${image.id} is missing from the managed image folder (${image.relPath}, ${code})`,
      );
    }
    try {
      return await renderImage(bytes, image.mediaType, {
        maxSize: params.maxSize,
        frame: params.frame,
        ...(params.window ? { window: params.window } : {}),
        ...(params.invert ? { invert: true } : {}),
      });
    } catch (err) {
      if (err instanceof VipError)
        throw new VipError(err.code, `Image ${image.id} (${image.originalName}): ${err.message}`, err.detail);
      throw err;
    }
  },

  'settings.get': (_params, ctx) => ctx.store.settings.get(),

  'settings.update': (params, ctx) => {
    const actor = ctx.actor();
    const before = ctx.store.settings.get();
    const settings = ctx.store.transaction(() => {
      const after = ctx.store.settings.update(params);
      const changed = Object.keys(params).filter(
        (k) => before[k as keyof typeof before] !== after[k as keyof typeof after],
      );
      if (changed.length)
        ctx.store.audit.record({ actor, action: 'settings.update', entity: 'settings', detail: { changed } });
      return after;
    });
    return settings;
  },

  'audit.list': (params, ctx) => ctx.store.audit.list(params.offset, params.limit),
};
