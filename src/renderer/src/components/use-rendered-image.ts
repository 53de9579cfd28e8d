/**
 * `images.render` as an object URL for an <img>. The URL is revoked when the component unmounts or asks for another
 * image, so scrolling through thousands of thumbnails does not leak their pixels.
 */
import { useEffect, useState } from 'react';
import type { RenderedImage } from '@shared/contract';
import { useVip } from '../api/vip-context';
import { bytesToObjectUrl } from '../lib/blob-url';
import type { Limiter } from '../lib/limiter';

export interface RenderedState {
  url: string | null;
  width: number;
  height: number;
  error: unknown;
}

interface Loaded extends RenderedState {
  key: string;
}

const EMPTY: RenderedState = { url: null, width: 0, height: 0, error: null };

export function useRenderedImage(
  imageId: number | null,
  maxSize: number,
  options: { frame?: number; limiter?: Limiter; delayMs?: number; reloadKey?: number } = {},
): RenderedState {
  const api = useVip();
  const { frame = 0, limiter, delayMs = 0, reloadKey = 0 } = options;
  const key = `${imageId}:${maxSize}:${frame}:${reloadKey}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    if (imageId === null) return;
    const abort = new AbortController();
    let url: string | null = null;
    const fetchImage = (): Promise<RenderedImage> => api.call('images.render', { imageId, maxSize, frame });
    const timer = setTimeout(() => {
      const request = limiter ? limiter.run(fetchImage, abort.signal) : fetchImage();
      request.then(
        (image) => {
          if (abort.signal.aborted) return;
          url = bytesToObjectUrl(image.data, image.mediaType);
          setLoaded({ key, url, width: image.width, height: image.height, error: null });
        },
        (error: unknown) => {
          if (!abort.signal.aborted) setLoaded({ key, url: null, width: 0, height: 0, error });
        },
      );
    }, delayMs);
    return () => {
      abort.abort();
      clearTimeout(timer);
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, imageId, maxSize, frame, limiter, delayMs, key]);

  return loaded && loaded.key === key ? loaded : EMPTY;
}
