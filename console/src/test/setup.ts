import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Machines with two cores may be building Go at the same time: wait for
// the UI longer than the default second before failing.
configure({ asyncUtilTimeout: 5000 });

// What jsdom lacks and Mantine uses.
Object.defineProperty(window, "matchMedia", {
  writable: true,
  // A plain function, not vi.fn(): restoreMocks would reset a mock.
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
window.ResizeObserver = ResizeObserverStub;
window.HTMLElement.prototype.scrollIntoView = () => {};
// jsdom's getComputedStyle rejects the pseudo-element argument Mantine passes.
const { getComputedStyle } = window;
window.getComputedStyle = (el: Element) => getComputedStyle(el);

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
