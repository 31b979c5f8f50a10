import type { Request, Response, Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { assessSessionRisk } from '../../domain/session/sessionRisk.js';
import { loadSessionDetailFor } from '../../services/access/changeAccess.js';
import { isWebSessionCurrent } from '../../services/access/webSignOut.js';
import { lockUser, terminateSession } from '../../services/sessions/sessionControl.js';
import { ServiceError } from '../../services/serviceError.js';
import { openSessionRecording } from '../../services/sessions/openSessionRecording.js';
import { watchSession } from '../../services/sessions/watchSession.js';
import { actorOf } from '../http/actorOf.js';
import { STATUS_OF_KIND } from '../http/errorPages.js';
import { parseInput } from '../http/parseInput.js';
import { sessionIdParam } from '../http/pathParams.js';
import { requireViewer, signedIn } from '../http/portalSessions.js';
import { renderPage } from '../http/renderPage.js';
import { sessionPageCsp, styleNonceOf } from '../http/securityHeaders.js';
import { streamWatch } from '../http/watchStream.js';
import type { PortalContext } from '../portalContext.js';

const DONE = { terminated: 'The session is marked terminated; the proxy cuts it.', locked: 'The user is locked out of the proxy.' } as const;
const detailQuery = z.strictObject({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() });
const noQuery = z.strictObject({});
const reasonForm = z.strictObject({ _csrf: z.string(), reason: z.string().max(1000, 'keep the reason under 1000 characters') });

/** A session: who, from where, why, each command with its verdict, and the recording's replay. */
export function register(router: Router, ctx: PortalContext): void {
  async function showSession(req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const detail = await loadSessionDetailFor(ctx.deps, signedIn(res).user, id);
    await renderPage(
      ctx,
      req,
      res,
      'sessionDetail',
      {
        title: `Session ${detail.session.id}`,
        session: detail.session,
        change: detail.change,
        rights: detail.sessionRights,
        commands: detail.commands,
        risk: assessSessionRisk(detail.commands),
        recordingUrl: ctx.recordings ? `/sessions/${encodeURIComponent(detail.session.id)}/recording` : undefined,
        watchUrl: ctx.recordings && detail.sessionRights.watch ? `/sessions/${encodeURIComponent(detail.session.id)}/live` : undefined,
        styleNonce: styleNonceOf(res),
        ...extra,
      },
      status,
    );
  }

  router.get('/sessions/:id', requireViewer, sessionPageCsp({ https: ctx.https }), async function showSessionPage(req: Request, res: Response) {
    const { id } = parseInput(sessionIdParam, req.params, 'path');
    const { done } = parseInput(detailQuery, req.query, 'query');
    await showSession(req, res, id, done ? { done: DONE[done] } : {});
  });

  /** The asciicast the player fetches; every fetch is an audited viewing. */
  router.get('/sessions/:id/recording', requireViewer, async function streamRecording(req: Request, res: Response) {
    const { id } = parseInput(sessionIdParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    const { user } = signedIn(res);
    const stream = await openSessionRecording(ctx.deps, ctx.recordings, user, actorOf(req, user.id), id);
    res.type('application/x-asciicast').set('Cache-Control', 'no-store');
    await pipeline(stream, res);
  });

  /**
   * The live watch: the session's terminal as Server-Sent Events, read-only. A refusal is an
   * ordinary error page (403, 404, 409) before the stream starts; the use case audits both ends.
   */
  router.get('/sessions/:id/live', requireViewer, async function streamLiveSession(req: Request, res: Response) {
    const { id } = parseInput(sessionIdParam, req.params, 'path');
    parseInput(noQuery, req.query, 'query');
    const { user } = signedIn(res);
    const left = new AbortController();
    res.on('close', () => left.abort());
    const watch = await watchSession(ctx.deps, ctx.recordings, actorOf(req, user.id), id, { signal: left.signal });
    // Signing out (or a lock, which ends the watcher's web sessions) ends the watch too.
    const stillSignedIn = async () => {
      const cookie = ctx.sessions.read(req);
      return cookie?.userId === user.id && (await isWebSessionCurrent(ctx.deps, user.id, cookie.issuedAt));
    };
    try {
      await streamWatch(res, watch, { stop: left, stillSignedIn });
    } catch (error) {
      // The stream has started: no error page can follow. The page's EventSource reconnects.
      ctx.logger.error({ err: error, session: id }, 'live watch failed');
      if (!res.destroyed) res.destroy();
    }
  });

  async function refusedOnPage(req: Request, res: Response, id: string, error: unknown): Promise<void> {
    if (!(error instanceof ServiceError) || error.kind === 'not_found') throw error;
    await showSession(req, res, id, { error: error.message, fields: error.fields }, STATUS_OF_KIND[error.kind]);
  }

  router.post('/sessions/:id/terminate', requireViewer, ctx.limit.decisions, sessionPageCsp({ https: ctx.https }), async function terminateFromWeb(req: Request, res: Response) {
    const { id } = parseInput(sessionIdParam, req.params, 'path');
    const form = parseInput(reasonForm, req.body, 'form');
    const { user } = signedIn(res);
    try {
      await terminateSession(ctx.deps, id, actorOf(req, user.id), form.reason);
    } catch (error) {
      return refusedOnPage(req, res, id, error);
    }
    res.redirect(303, `/sessions/${encodeURIComponent(id)}?done=terminated`);
  });

  router.post('/sessions/:id/lock-user', requireViewer, ctx.limit.decisions, sessionPageCsp({ https: ctx.https }), async function lockSessionUser(req: Request, res: Response) {
    const { id } = parseInput(sessionIdParam, req.params, 'path');
    const form = parseInput(reasonForm, req.body, 'form');
    const { user } = signedIn(res);
    try {
      const { session } = await loadSessionDetailFor(ctx.deps, user, id);
      await lockUser(ctx.deps, session.user, actorOf(req, user.id), form.reason);
    } catch (error) {
      return refusedOnPage(req, res, id, error);
    }
    res.redirect(303, `/sessions/${encodeURIComponent(id)}?done=locked`);
  });
}
