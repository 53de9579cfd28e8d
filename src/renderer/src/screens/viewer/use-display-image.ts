/**
 * The viewer's image as the engine renders it (`images.render` with frame, window and invert). The image on screen
 * stays until the next one has arrived, so dragging the window or scrolling frames never flashes an empty stage.
 * Requests are debounced and at most one is in flight: while one renders, later changes collapse into the newest.
 */
import { useEffect, useRef, useState } from 'react';
import type { DisplayWindow } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { bytesToObjectUrl } from '../../lib/blob-url';

export interface DisplayRequest {
  imageId: number;
  frame: number;
  /** null: the file's default window. */
  window: DisplayWindow | null;
  invert: boolean;
}

export interface ShownImage {
  url: string;
  width: number;
  height: number;
  /** The window the engine applied (null for colour images or a VOI LUT). */
  window: DisplayWindow | null;
  request: DisplayRequest;
}

export interface DisplayState {
  shown: ShownImage | null;
  /** The error of the newest request, if it failed. */
  error: unknown;
  /** A newer request than the shown image is waiting or rendering. */
  pending: boolean;
}

const keyOf = (r: DisplayRequest | null): string => JSON.stringify(r);

export function useDisplayImage(request: DisplayRequest | null, maxSize: number, debounceMs = 40): DisplayState {
  const api = useVip();
  const [shown, setShown] = useState<ShownImage | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: unknown } | null>(null);
  const wanted = useRef<DisplayRequest | null>(request);
  const busy = useRef(false);
  const alive = useRef(true);
  const key = keyOf(request);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // The URL on screen is revoked once a newer one has replaced it (or the viewer closes).
  useEffect(() => {
    if (!shown) return;
    return () => URL.revokeObjectURL(shown.url);
  }, [shown]);

  useEffect(() => {
    wanted.current = request;
    const pump = (): void => {
      const asked = wanted.current;
      if (busy.current || !asked) return;
      busy.current = true;
      const askedKey = keyOf(asked);
      api
        .call('images.render', {
          imageId: asked.imageId,
          maxSize,
          frame: asked.frame,
          ...(asked.window ? { window: asked.window } : {}),
          ...(asked.invert ? { invert: true } : {}),
        })
        .then(
          (image) => {
            if (!alive.current) return;
            setFailure(null);
            setShown({
              url: bytesToObjectUrl(image.data, image.mediaType),
              width: image.width,
              height: image.height,
              window: image.window ?? null,
              request: asked,
            });
          },
          (error: unknown) => {
            if (alive.current) setFailure({ key: askedKey, error });
          },
        )
        .finally(() => {
          busy.current = false;
          if (alive.current && keyOf(wanted.current) !== askedKey) pump();
        });
    };
    const timer = setTimeout(pump, debounceMs);
    return () => clearTimeout(timer);
    // `key` stands for `request` (a new object each render with the same content).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, maxSize, debounceMs]);

  const current = shown && keyOf(shown.request) === key;
  const error = failure && failure.key === key ? failure.error : null;
  return { shown, error, pending: request !== null && !current && !error };
}
