import { describe, expect, it } from 'vitest';
import { MAX_SEARCH_WORD_LENGTH, MAX_SEARCH_WORDS, searchWords, wordsOf } from '../../../src/domain/search/searchWords.js';

describe('search words', () => {
  it('splits a line into distinct folded words: letters and digits of any script, no case, no accents', () => {
    expect(wordsOf('sudo systemctl restart nginx.service')).toEqual(['sudo', 'systemctl', 'restart', 'nginx', 'service']);
    expect(wordsOf('cat /etc/nginx/nginx.conf')).toEqual(['cat', 'etc', 'nginx', 'conf']);
    expect(wordsOf('echo "Café Über" ДОМ 42')).toEqual(['echo', 'cafe', 'uber', 'дом', '42']);
    expect(wordsOf('-- // ;;')).toEqual([]);
  });

  it('bounds what a search asks for', () => {
    expect(searchWords('a b c d e f g h i j')).toHaveLength(MAX_SEARCH_WORDS);
    expect(searchWords('x'.repeat(100))).toEqual(['x'.repeat(MAX_SEARCH_WORD_LENGTH)]);
    expect(searchWords('Nginx NGINX nginx')).toEqual(['nginx']);
  });
});
