import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config';

/** graphql-armor's rules report through a callback; made to report like every other validation rule (by default they throw). */
const reportAsValidationError = [
  (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(
      new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ),
];

function depthLimitRule(maxDepth: number): ValidationRule {
  return maxDepthRule({
    n: maxDepth,
    ignoreIntrospection: true,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: reportAsValidationError,
  }) as unknown as ValidationRule;
}

function aliasLimitRule(maxAliases: number): ValidationRule {
  return maxAliasesRule({
    n: maxAliases,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: reportAsValidationError,
  }) as unknown as ValidationRule;
}

/** At most `max` fields at the top of an operation (fragments spread at the top count too). */
function rootFieldLimitRule(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const count = (selections: SelectionSetNode, seen: Set<string>): number =>
      selections.selections.reduce((total, selection) => {
        if (selection.kind === Kind.FIELD) return total + 1;
        if (selection.kind === Kind.INLINE_FRAGMENT) return total + count(selection.selectionSet, seen);
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) return total;
        return total + count(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }, 0);
    return {
      OperationDefinition(operation) {
        const fields = count(operation.selectionSet, new Set());
        if (fields > max) {
          context.reportError(
            new GraphQLError(`an operation may select at most ${max} top-level fields; this one selects ${fields}`, {
              nodes: [operation],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
          );
        }
      },
    };
  };
}

/** The validation rules every operation meets, over HTTP and graphql-ws alike, on top of GraphQL's own. */
export function operationLimitRules(settings: Config['graphql']): ValidationRule[] {
  return [depthLimitRule(settings.maxDepth), aliasLimitRule(settings.maxAliases), rootFieldLimitRule(settings.maxRootFields)];
}

/** Parsing stops past this many tokens, before a huge document costs anything else. */
export function parseOptions(settings: Config['graphql']): { maxTokens: number } {
  return { maxTokens: settings.maxTokens };
}
