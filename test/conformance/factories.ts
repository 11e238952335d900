import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** An adapter factory the package exports: the `exports` entry it is in, and its name. */
export interface ExportedFactory {
  /** The subpath, as users import it: `./adapters/postgres-journal`. */
  readonly entry: string;
  readonly name: string;
}

/**
 * The source file of each adapter entry of the package: the `exports` map's
 * `./adapters/*` subpaths, from the `types` they ship (`./dist/adapters/fs/index.d.ts`
 * is built from `adapters/fs/index.ts`).
 */
export function adapterEntries(root: string): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types?: string }>;
  };
  const out = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (!subpath.startsWith('./adapters/')) continue;
    const types = typeof target === 'string' ? undefined : target.types;
    if (!types?.startsWith('./dist/') || !types.endsWith('.d.ts')) {
      throw new Error(`package.json exports["${subpath}"] has no ./dist/**/*.d.ts types to find its source by`);
    }
    out.set(subpath, join(root, `${types.slice('./dist/'.length, -'.d.ts'.length)}.ts`));
  }
  return out;
}

/**
 * The exported functions (declared or as constants) of each entry whose
 * return type (awaited) is assignable to `CheckpointAdapter` of
 * `contractFile`, as the type checker sees them: wherever the returned
 * interface is declared, and whether the entry declares or re-exports them.
 */
export function factoriesIn(
  entries: ReadonlyMap<string, string>,
  contractFile: string,
  options: ts.CompilerOptions,
): ExportedFactory[] {
  const program = ts.createProgram([...entries.values(), contractFile], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const contractModule = checker.getSymbolAtLocation(program.getSourceFile(contractFile)!);
  const contractSymbol =
    contractModule && checker.getExportsOfModule(contractModule).find((s) => s.name === 'CheckpointAdapter');
  if (!contractSymbol) throw new Error(`${contractFile} exports no CheckpointAdapter`);
  const contract = checker.getDeclaredTypeOfSymbol(contractSymbol);
  const out: ExportedFactory[] = [];
  for (const [entry, file] of entries) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${file} (exports["${entry}"]) is not a module the checker can read`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable))) continue;
      const signatures = checker.getTypeOfSymbol(symbol).getCallSignatures();
      const returns = (s: ts.Signature) => {
        const type = s.getReturnType();
        return checker.getAwaitedType(type) ?? type;
      };
      if (signatures.length > 0 && signatures.every((s) => checker.isTypeAssignableTo(returns(s), contract))) {
        out.push({ entry, name: exported.name });
      }
    }
  }
  return out;
}

/** The repository's compiler options (tsconfig.json), for {@link factoriesIn}. */
export function repoCompilerOptions(root: string): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, root).options;
}
