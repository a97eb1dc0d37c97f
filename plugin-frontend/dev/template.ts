import type { TemplateParameterSchema } from '@backstage/plugin-scaffolder-react';
import type { JsonObject } from '@backstage/types';
// The example template itself (parsed at build time by the YAML loader): one source of truth.
import templateYaml from '../../examples/templates/asset-id-system/template.yaml';

interface TemplateEntity {
  metadata: { name: string; title?: string; description?: string };
  spec: { parameters: JsonObject[] };
}

export const template = templateYaml as TemplateEntity;

/** The manifest the scaffolder backend would serve for the template (steps = parameter pages). */
export function templateManifest(entity: TemplateEntity = template): TemplateParameterSchema {
  return {
    title: entity.metadata.title ?? entity.metadata.name,
    description: entity.metadata.description,
    steps: entity.spec.parameters.map(schema => ({
      title: typeof schema.title === 'string' ? schema.title : 'Please enter the following information',
      description: typeof schema.description === 'string' ? schema.description : undefined,
      schema,
    })),
  };
}
