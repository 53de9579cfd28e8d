import type { Command } from 'commander';
import { action, userError } from '../frame';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the workstation to a browser on 127.0.0.1 (prints the address with its access token)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8765')
    .action(
      action(async (ctx, opts: { port: string }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw userError(`--port must be 0..65535, got ${opts.port}`);
        const [{ startServer }, { findRendererDir }] = await Promise.all([
          import('../../serve/server'),
          import('../../serve/static-files'),
        ]);
        const engine = ctx.engine();
        await engine.ensureModels();
        const rendererDir = findRendererDir();
        const server = await startServer({ engine, port, rendererDir });
        // First stdout line is the address: scripts and tests read it.
        process.stdout.write(`${server.url}\n`);
        ctx.info(`vip serve: data folder ${engine.paths.root}`);
        if (!rendererDir) ctx.info('vip serve: the renderer is not built (npm run build); only the API is available');
        ctx.info('vip serve: press Ctrl+C to stop');
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
      }),
    );
}
