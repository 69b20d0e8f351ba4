import { CfnDynamicReference, CfnDynamicReferenceService } from 'aws-cdk-lib';
import { EDGE_SECRET_NAMES } from './identity.js';

/** The edge secret as CloudFormation dynamic references (resolved at deploy time, never displayed). */
export interface EdgeSecretReferences {
  /** The pinned version: what CloudFront sends in `X-Origin-Verify`. */
  current: string;
  /** What the ALB accepts: the pinned version and the one before, so a rotation causes no 403s. */
  accepted: string[];
}

/**
 * References to version `version` of the String parameter `<parameterPrefix>/EDGE_SECRET` (and to
 * the version before it). Pinned versions change the template when the secret rotates, so a
 * `cdk deploy` updates CloudFront and the ALB; an unversioned reference would keep the old value
 * until some other change touched those resources. The parameter is a String because CloudFront
 * origin headers and listener rules do not take `ssm-secure` references.
 */
export function edgeSecretReferences(parameterPrefix: string, version: number): EdgeSecretReferences {
  const reference = (at: number) => new CfnDynamicReference(CfnDynamicReferenceService.SSM, `${parameterPrefix}/${EDGE_SECRET_NAMES.current}:${at}`).toString();
  const current = reference(version);
  return { current, accepted: version > 1 ? [current, reference(version - 1)] : [current] };
}
