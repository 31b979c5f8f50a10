import type { Language, Node } from 'web-tree-sitter';

/**
 * A node of a parsed line, read out of tree-sitter once. Every property of web-tree-sitter's
 * `Node` is a call into its WASM module that first copies the node into WASM memory, and the
 * walk, the `$BASH_COMMAND` prediction and the word decoding ask the same nodes for their
 * type, children, ends and text many times over: reading each node once (its type when it
 * is met, its end and children when first asked: at most three calls) and answering from plain fields
 * afterwards costs a fraction of that. Children are read on demand, so a deeply nested line
 * costs no deeper recursion than the walks that stop at their own depth limits.
 *
 * Children and field lookups ask tree-sitter, so a node is only valid while the tree it was
 * read from is alive: it never leaves the parse that made it.
 */
export class SyntaxNode {
  private endValue: number | undefined;
  private textValue: string | undefined;
  private childrenValue: readonly SyntaxNode[] | undefined;
  private namedValue: readonly SyntaxNode[] | undefined;

  constructor(
    private readonly source: string,
    private readonly raw: Node,
    private readonly reader: SyntaxReader,
    readonly type: string,
    readonly isNamed: boolean,
    readonly id: number,
    readonly startIndex: number,
  ) {}

  /** Asked of tree-sitter when first needed: the walks never ask it of most operator tokens. */
  get endIndex(): number {
    this.endValue ??= this.raw.endIndex;
    return this.endValue;
  }

  get children(): readonly SyntaxNode[] {
    if (this.childrenValue === undefined) {
      const raw = this.raw.children;
      const children: SyntaxNode[] = [];
      for (const child of raw) if (child !== null) children.push(this.reader.read(child, this.source));
      this.childrenValue = children;
    }
    return this.childrenValue;
  }

  get text(): string {
    this.textValue ??= this.source.slice(this.startIndex, this.endIndex);
    return this.textValue;
  }

  get childCount(): number {
    return this.children.length;
  }

  get namedChildren(): readonly SyntaxNode[] {
    this.namedValue ??= this.children.filter((c) => c.isNamed);
    return this.namedValue;
  }

  get firstChild(): SyntaxNode | null {
    return this.children[0] ?? null;
  }

  get lastChild(): SyntaxNode | null {
    return this.children[this.children.length - 1] ?? null;
  }

  childForFieldName(name: string): SyntaxNode | null {
    const found = this.raw.childForFieldName(name);
    return found === null ? null : this.own(found);
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    return this.raw.childrenForFieldName(name).flatMap((c) => (c === null ? [] : [this.own(c)]));
  }

  /** The child read with this node for tree-sitter's `node` (a field may sit below a hidden node: read it then). */
  private own(node: Node): SyntaxNode {
    return this.children.find((c) => c.id === node.id) ?? this.reader.read(node, this.source);
  }
}

/** Reads tree-sitter nodes of one language into SyntaxNodes. */
export class SyntaxReader {
  private readonly types: readonly string[];
  /** Whether a node type is named, by type id: a property of the type, asked of the language once. */
  private readonly named: boolean[] = [];

  constructor(private readonly language: Language) {
    this.types = language.types;
  }

  /** `node` (its children when asked); `source` is the exact text given to the parser. */
  read(node: Node, source: string): SyntaxNode {
    const typeId = node.typeId;
    return new SyntaxNode(source, node, this, this.types[typeId] || 'ERROR', this.isNamed(typeId), node.id, node.startIndex);
  }

  private isNamed(typeId: number): boolean {
    let named = this.named[typeId];
    if (named === undefined) {
      named = this.language.nodeTypeIsNamed(typeId);
      this.named[typeId] = named;
    }
    return named;
  }
}
