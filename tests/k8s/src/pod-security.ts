import { podShapes } from './pods.ts';
import type { K8sObject } from './render.ts';

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  seccompProfile?: { type?: string };
  capabilities?: { drop?: string[] };
}

/**
 * The namespace enforces Pod Security "restricted" (base/namespace.yaml), so a pod without these
 * is refused at creation, not at apply time: non-root, no privilege escalation, every
 * capability dropped, the runtime's seccomp profile.
 */
export function checkPodSecurity(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const restricted = new Set(
    objects
      .filter(
        (o) =>
          o.kind === 'Namespace' &&
          o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted',
      )
      .map((o) => o.metadata.name),
  );
  for (const pod of podShapes(objects)) {
    if (!pod.spec || !restricted.has(pod.namespace)) continue;
    const podCtx = (pod.spec as { securityContext?: SecurityContext }).securityContext ?? {};
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      const ctx = (c as { securityContext?: SecurityContext }).securityContext ?? {};
      const at = `${pod.owner} container ${c.name}`;
      if (!(ctx.runAsNonRoot ?? podCtx.runAsNonRoot))
        problems.push(`${at}: runAsNonRoot is not true`);
      if ((ctx.runAsUser ?? podCtx.runAsUser) === 0) problems.push(`${at}: runs as user 0`);
      if (ctx.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (!ctx.capabilities?.drop?.includes('ALL'))
        problems.push(`${at}: capabilities do not drop ALL`);
      const seccomp = ctx.seccompProfile?.type ?? podCtx.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        problems.push(`${at}: no seccomp profile`);
    }
  }
  return problems;
}
