import { ANALYSIS_CALLBACK_PATH } from '../shared/paths';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { BadUserInputError } from '../errors';
import type { AnalysisRunner } from '../services/analysis/analysis-runner';
import { bearerToken } from '../services/security/token-secret';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * POST /api/v1/analysis/callback/:analysisId — where an n8n workflow in callback mode posts its
 * result, with the one-off bearer token it was given. Idempotent: a repeat changes nothing and
 * says so (`recorded: false`).
 */
export function analysisRoutes(analysis: AnalysisRunner): Router {
  const router = Router();
  router.post(
    `${ANALYSIS_CALLBACK_PATH}/:analysisId`,
    express.json({ limit: 1024 * 1024, type: () => true }),
    (req: Request, res: Response, next: NextFunction) => {
      const id = req.params.analysisId as string;
      if (!UUID.test(id)) return next(BadUserInputError.forField('analysisId', 'expected an analysis id'));
      const token = bearerToken(req.header('authorization'));
      analysis
        .callback(id, token, req.body)
        .then((outcome) => res.json(outcome))
        .catch(next);
    },
  );
  return router;
}
